from core.checks import staging_banner_text


def staging_banner(request):
    """The banner a production-mode site running sandboxes shows on every page (core/checks.py)."""
    return {"staging_banner": staging_banner_text()}
