"""Blocks the pages share: each draws with Streamlit and returns what the person chose."""
