"""Pure geography: shapes, distances, geocoding. Imports only stdlib, shapely and geopy."""
