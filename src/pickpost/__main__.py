from pickpost.cli import app

app()
