"""Sign-in, sign-out, the profile page and API tokens."""
