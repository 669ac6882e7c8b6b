"""Server-side rendering of static pictures (SVG maps) for pages, reports and files."""
