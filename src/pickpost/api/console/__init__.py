"""The operator console under ``/console``: server-rendered pages from the same app.

``page`` holds what every page uses (the layout, who is signed in, CSRF-checked forms);
each section is a module with its own router, included by ``routes``.
"""
