"""Screens of the board: the board itself, a promise's detail, the forms and the help."""
