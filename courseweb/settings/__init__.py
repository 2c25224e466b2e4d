"""Settings package: `base` reads everything from the environment; `dev`, `test` and `prod` change defaults."""
