"""paindiary's Streamlit app: a thin face on the analytics library (docs/architecture.md)."""
