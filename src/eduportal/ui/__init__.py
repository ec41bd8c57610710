"""The Streamlit application: `Home.py` and the pages under `pages/`.

Pages only arrange widgets and call the services from `eduportal.wiring`; every rule
(roles, validation, scoring) lives in the services, shared with the API and the CLI.
"""
