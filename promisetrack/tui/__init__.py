"""The live board: a Textual app over ``service.Desk`` (imported only when the board opens)."""
