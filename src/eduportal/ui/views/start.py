# `/` for a signed-in user: on to their list of assignments, keeping the address's query (a
# link opened as `/?assignment=ID` still opens that assignment).
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

import streamlit as st

from eduportal.ui.navigation import list_script
from eduportal.ui.session import guarded, signed_in

with guarded():
    account = signed_in()
    if account is not None:  # signed out, `/` is the sign-in page instead
        st.switch_page(list_script(account), query_params=st.query_params.to_dict())
