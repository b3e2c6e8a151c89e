"""The page bodies of the dashboard, one module a page; the router in app.py runs them."""
