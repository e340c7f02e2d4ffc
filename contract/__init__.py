"""Rules shared by the program (components/, settings/) and the day-2 commands (ops/): neither imports the other."""
