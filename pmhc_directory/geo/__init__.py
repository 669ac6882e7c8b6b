"""Pure geography: shapes, distances, geocoding. Imports only stdlib, shapely, geopy and
zipcodes (loaded lazily); never Flask or SQLAlchemy."""
