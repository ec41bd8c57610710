"""eduportal's start page: sign in, then pick a page for your role."""

from __future__ import annotations

import streamlit as st

from eduportal.domain.accounts import Role
from eduportal.ui.session import SESSION_KEY, container, page

with page("eduportal", public=True) as account:
    if account is None:
        st.write("Teachers turn a text into an assignment; students answer and get scored.")
        with st.form("login"):
            username = st.text_input("User name", autocomplete="username")
            # Password managers fill what says what it is.
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            # The address only adds the per-address count (a spoofed one evades that alone;
            # the per-account limit holds whatever the address); None on localhost.
            signed = container().accounts.login(username, password, st.context.ip_address)
            st.session_state[SESSION_KEY] = signed.token
            st.rerun()
    elif account.role is Role.TEACHER:
        st.success(f"Welcome, {account.username}.")
        st.page_link("pages/1_Create_Assignments.py", label="Create an assignment", icon="✏️")
        st.page_link("pages/2_Show_Assignments.py", label="Your assignments", icon="📚")
    else:
        st.success(f"Welcome, {account.username}.")
        st.page_link("pages/3_Complete_Assignments.py", label="Answer an assignment", icon="📝")
        st.page_link("pages/2_Show_Assignments.py", label="Browse assignments", icon="📚")
