"""Tips: creating them, following them up anonymously, their photos, labels and places. Knows no channel."""
