"""Template tag libraries shared by every app (`{% load mathtags %}`)."""
