"""One router per resource: accounts, assignments, answers, images, health."""
