"""The course's JupyterHub: its settings, the jailed spawner and the relays that connect a jailed server.

Plain Python (never imports Django), loaded by `deploy/jupyterhub/jupyterhub_config.py` inside the hub process:

* `settings`: every URL, port, secret and limit of the hub, read from the environment in one place;
* `config`: applies those settings to a JupyterHub traitlets config (authenticator, proxy, services, culler);
* `spawner`: `JailedSpawner`, a LocalProcessSpawner whose servers run in a bubblewrap jail;
* `relay`: the byte relays between the host's loopback and a jail's Unix sockets;
* `jail_entry`: the program that runs first inside a jail;
* `submit` (in the student's server): hands a notebook in to the site, for the `course-submit` command and
  for `serverext`, the server's `/course/submit` endpoints behind JupyterLab's Submit button and "Submit to the
  course" command (`labextension/`, built by `bin/build-labextension`).
"""
