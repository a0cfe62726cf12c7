"""The storybrief REST service: ``create_app()`` in ``service.app``."""
