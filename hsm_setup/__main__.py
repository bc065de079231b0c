from hsm_setup.cli.main import run

run()
