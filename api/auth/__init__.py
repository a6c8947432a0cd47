"""Who is calling: passwords and tokens (``security``), accounts (``users``) and the few seconds
a credential's account is remembered (``cache``)."""
