"""The site's side of the course JupyterHub: its REST API client, opening a homework in a student's server."""
