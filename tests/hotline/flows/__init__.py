"""The hotline's booking, progress and cancellation flows (portal/hotline/flows/), whole conversations."""
