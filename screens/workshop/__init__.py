"""`hsm-setup workshop`: the wizard in the browser for a room of people, and a board for the facilitator.

server.py serves it (textual-serve underneath); seats.py holds the seats and their
practice accounts; control.py is the channel between a seat's wizard and the server;
seat.py is the wizard a browser connection runs; access.py decides who may join and
what a seat's wizard inherits; status.py is what a seat tells the board.
"""
