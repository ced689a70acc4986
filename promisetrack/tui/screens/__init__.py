"""Screens of the board: the board itself, a promise's detail, the forms (one promise, several, kudos), the
supervisor review, the stats and the help."""
