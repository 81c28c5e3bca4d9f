from facegate.cli import main

main()
