"""Homework writes: assignment sync, submissions, the grading-job state machine, tokens, deliverables."""
