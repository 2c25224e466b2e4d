"""Convert a scribe's LaTeX note (.tex) to the Markdown-with-math the notes workflow stores.

What is converted (what scribing templates use): the preamble is dropped (everything before
`\\begin{document}`, and `\\end{document}`); `%` comments; `\\title{}` and `\\section`/`\\subsection`/
`\\subsubsection` (starred or not) become `#`..`####` headings; `\\textbf`, `\\emph`/`\\textit`, `\\texttt`;
`itemize`/`enumerate` lists; `equation`, `align`, `gather`, `multline` (starred or not) and `\\[...\\]` become
`$$...$$` display math (numbered environments get their number as a label); `\\(...\\)` becomes `$...$`;
`\\cite{key}` becomes `[key]`; `\\label`/`\\ref` are kept readable; `\\href{url}{text}` and `\\url{}` become links.
Anything else passes through unchanged, so math keeps working and unknown commands stay visible.
"""

from __future__ import annotations

import re

RE_COMMENT = re.compile(r"(?<!\\)%.*$", re.M)
RE_SECTION = re.compile(r"\\(section|subsection|subsubsection|paragraph)\*?\{((?:[^{}]|\{[^{}]*\})*)\}")
RE_TITLE = re.compile(r"\\title\{((?:[^{}]|\{[^{}]*\})*)\}")
RE_ENV_MATH = re.compile(r"\\begin\{(equation|align|gather|multline)(\*?)\}(.*?)\\end\{\1\2\}", re.S)
RE_DISPLAY = re.compile(r"\\\[(.*?)\\\]", re.S)
RE_INLINE = re.compile(r"\\\((.*?)\\\)", re.S)
RE_LABEL = re.compile(r"\\label\{[^{}]*\}")
ITEM = "\\item"
LEVELS = {"section": "##", "subsection": "###", "subsubsection": "####", "paragraph": "#####"}
INLINE_COMMANDS = [
    (re.compile(r"\\textbf\{([^{}]*)\}"), r"**\1**"),
    (re.compile(r"\\(?:emph|textit)\{([^{}]*)\}"), r"*\1*"),
    (re.compile(r"\\texttt\{([^{}]*)\}"), r"`\1`"),
    (re.compile(r"\\href\{([^{}]*)\}\{([^{}]*)\}"), r"[\2](\1)"),
    (re.compile(r"\\url\{([^{}]*)\}"), r"<\1>"),
    (re.compile(r"~?\\cite[pt]?\{([^{}]*)\}"), r" [\1]"),
    (re.compile(r"\\(?:eq)?ref\{([^{}]*)\}"), r"(\1)"),
]


def _body(tex: str) -> str:
    start = tex.find("\\begin{document}")
    if start >= 0:
        tex = tex[start + len("\\begin{document}") :]
    end = tex.find("\\end{document}")
    return tex[:end] if end >= 0 else tex


def _math_env(match: re.Match[str], counter: list[int]) -> str:
    env, star, body = match.group(1), match.group(2), match.group(3)
    body = RE_LABEL.sub("", body).strip()
    if env in ("align", "gather", "multline"):
        inner = "aligned" if env == "align" else "gathered"
        body = f"\\begin{{{inner}}}{body}\\end{{{inner}}}"
    if star:
        return f"\n\n$$\n{body}\n$$\n\n"
    counter[0] += 1
    return f"\n\n$$\n{body}\n$$ ({counter[0]})\n\n"


def _lists(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if m := re.match(r"\\begin\{(itemize|enumerate)\}", stripped):
            stack.append(m.group(1))
            out.append("")
            continue
        if re.match(r"\\end\{(itemize|enumerate)\}", stripped) and stack:
            stack.pop()
            out.append("")
            continue
        if stripped.startswith("\\item") and stack:
            marker = "1." if stack[-1] == "enumerate" else "-"
            indent = "   " * (len(stack) - 1)
            item = stripped[len(ITEM) :].strip()
            out.append(f"{indent}{marker} {item}")
            continue
        out.append(line)
    return "\n".join(out)


def tex_to_markdown(tex: str) -> str:
    """Convert a LaTeX note to Markdown with `$`/`$$` math."""
    text = RE_COMMENT.sub("", _body(tex))
    title = RE_TITLE.search(tex)
    counter = [0]
    text = RE_ENV_MATH.sub(lambda m: _math_env(m, counter), text)
    text = RE_DISPLAY.sub(lambda m: f"\n\n$$\n{m.group(1).strip()}\n$$\n\n", text)
    text = RE_INLINE.sub(lambda m: f"${m.group(1).strip()}$", text)
    text = RE_SECTION.sub(lambda m: f"\n\n{LEVELS[m.group(1)]} {m.group(2).strip()}\n\n", text)
    text = re.sub(r"\\maketitle", "", text)
    text = RE_LABEL.sub("", text)
    for pattern, replacement in INLINE_COMMANDS:
        text = pattern.sub(replacement, text)
    text = _lists(text)
    text = "\n".join(
        line.strip() if not line.startswith("   ") else line.rstrip() for line in text.split("\n")
    )
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    if title:
        text = f"# {title.group(1).strip()}\n\n{text}"
    return text
