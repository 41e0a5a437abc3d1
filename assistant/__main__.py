from assistant.settings import enforce_offline_environment

enforce_offline_environment()  # before LangChain and the encoder are imported

from assistant.cli import main  # noqa: E402

raise SystemExit(main())
