"""The Streamlit application: `app.py` (the server, with the sign-in routes), `Home.py` (the
entrypoint, which picks the pages for the signed-in role) and the pages under `views/`.

Pages only arrange widgets and call the services from `eduportal.wiring`; every rule
(roles, validation, scoring) lives in the services, shared with the API and the CLI.
"""
