"""Adversarial corpus for the grading engine: assignments, attacking submissions and the checks around them."""
