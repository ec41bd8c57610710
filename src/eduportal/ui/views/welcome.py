# The first page a signed-out visitor sees: what the portal does, and the sign-in form.

from __future__ import annotations

import streamlit as st

from eduportal.ui.session import guarded, sign_in_form

with guarded():
    st.title("eduportal")
    st.write("Teachers turn a text into an assignment; students answer and get scored.")
    sign_in_form(back_here=False)
