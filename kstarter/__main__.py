from kstarter.cli import main

main()
