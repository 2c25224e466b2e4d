// JupyterLab: "Submit to the course" (command palette, category "Course") and a "Submit" button on every notebook's
// toolbar. Both save the notebook, then ask this server's `course_hub.serverext` to hand it in (POST
// /course/submit): the server reads the saved file and sends it to the course site with its own token, which never
// reaches the browser. A dialog then follows the grading (GET /course/submissions/<id>) and links to the feedback
// page on the site. Built by bin/build-labextension (npm ci from package-lock.json, then `jupyter-builder build`).

import { ICommandPalette, Dialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ToolbarButton } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

const COMMAND = 'course:submit';
const FINAL = ['graded', 'failed', 'error'];
const POLL_MS = 2000;

async function call(method, path, body) {
  const settings = ServerConnection.makeSettings();
  const init = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const response = await ServerConnection.makeRequest(URLExt.join(settings.baseUrl, path), init, settings);
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    data = {};
  }
  if (!response.ok) {
    throw new Error(data.message || `The server answered HTTP ${response.status}.`);
  }
  return data;
}

function describe(sub) {
  const label = (sub.progress && sub.progress.label) || sub.state || 'queued';
  if (sub.score !== undefined && sub.score !== null) {
    return `${label}: ${sub.score} / ${sub.max_score}`;
  }
  return label;
}

// The dialog's body: what was handed in, the live state of its grading and the link to the feedback.
class StatusBody extends Widget {
  constructor(sub, path) {
    super();
    this.addClass('course-submit-status');
    const intro = document.createElement('p');
    intro.textContent = `${path} was handed in as submission ${sub.id}${sub.duplicate ? ' (already submitted: the same file)' : ''}.`;
    this.state = document.createElement('p');
    this.state.className = 'course-submit-state';
    const link = document.createElement('a');
    link.className = 'course-feedback-link';
    link.href = sub.url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.textContent = 'See the feedback on the course site';
    this.node.append(intro, this.state, link);
    this.update(sub);
  }

  update(sub) {
    this.state.textContent = `Status: ${describe(sub)}`;
    this.state.dataset.state = sub.state || '';
  }
}

async function follow(sub, body, dialog) {
  while (!FINAL.includes(sub.state) && !dialog.isDisposed) {
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
    if (dialog.isDisposed) {
      return;
    }
    try {
      sub = await call('GET', `course/submissions/${sub.id}`);
    } catch (err) {
      body.state.textContent = `Status unknown: ${err.message}`;
      continue;
    }
    body.update(sub);
  }
}

async function submit(panel) {
  if (!panel) {
    return;
  }
  const context = panel.context;
  const path = context.localPath || context.path;
  let sub;
  try {
    await context.save();
    sub = await call('POST', 'course/submit', { path });
  } catch (err) {
    const failed = new Dialog({
      title: 'Not submitted',
      body: err.message,
      buttons: [Dialog.okButton({ label: 'Close' })]
    });
    failed.addClass('course-submit-dialog');
    await failed.launch();
    return;
  }
  const body = new StatusBody(sub, path);
  const dialog = new Dialog({
    title: 'Submitted to the course',
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
  dialog.addClass('course-submit-dialog');
  const closed = dialog.launch();
  void follow(sub, body, dialog);
  await closed;
}

// The notebook in front: the tracker's current one, or a visible notebook if the current one's tab is hidden.
function shownNotebook(tracker) {
  const current = tracker.currentWidget;
  if (current && current.isVisible) {
    return current;
  }
  return tracker.find(panel => panel.isVisible) || current;
}

const plugin = {
  id: 'course-hub-submit:plugin',
  description: 'Submit the open notebook to the course site.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app, tracker, palette) => {
    app.commands.addCommand(COMMAND, {
      label: 'Submit to the course',
      caption: 'Save this notebook and hand it in to the course site',
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => submit(shownNotebook(tracker))
    });
    if (palette) {
      palette.addItem({ command: COMMAND, category: 'Course' });
    }
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: panel => {
        const button = new ToolbarButton({
          className: 'course-submit-button',
          label: 'Submit',
          tooltip: 'Save this notebook and hand it in to the course site',
          onClick: () => void submit(panel)
        });
        panel.toolbar.insertItem(10, 'courseSubmit', button);
        return button;
      }
    });
  }
};

export default plugin;
