"""eduportal's entrypoint: the signed-in account decides the pages (`ui/navigation.py`)."""

from __future__ import annotations

import streamlit as st

from eduportal.ui.navigation import views_for
from eduportal.ui.session import account_box, guarded, signed_in

st.set_page_config(page_title="eduportal", page_icon="📚", layout="wide")
with guarded():
    account = signed_in()
    navigation = st.navigation(
        [view.page() for view in views_for(account)], position="sidebar" if account else "hidden"
    )
    if account is not None:
        account_box(account)
    navigation.run()
