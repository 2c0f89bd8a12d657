"""One module per `./ipclab` subcommand. Each module defines:

    NAME = "grade"                 # the subcommand
    HELP = "one line for --help"
    ORDER = 10                     # position in --help (students' commands first)
    def register(parser): ...      # adds its arguments to its argparse sub-parser
    def run(args) -> int: ...      # the exit status

cli.py discovers the modules here, so a new command is one new file.
"""
