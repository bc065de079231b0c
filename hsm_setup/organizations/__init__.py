"""AWS Organizations: the organization's tree, the target accounts an answer names, and reaching member accounts."""
