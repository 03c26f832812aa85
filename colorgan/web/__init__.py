"""The page's logic, one module per tab (colorgan/webapp.py puts them together; app.py lays them out)."""
