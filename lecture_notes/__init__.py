"""Lecture-notes library (plain Python, never imports Django): the offline KaTeX helper, the importer and
renderer for the scribed-notes text format, the Markdown renderer for scribed submissions, and the demo
course's own notes (`demo/`)."""
