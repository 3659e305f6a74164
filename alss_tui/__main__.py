from alss_tui.cli import main

main()
