"""The shared web forms (portal/forms/): what every form does with odd input."""
