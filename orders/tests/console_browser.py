"""A store employee signed in to the console in Chromium at a tablet's size, for browser tests."""

TABLET = {"width": 1024, "height": 768}


def console_signed_in(browser, base: str, *, email: str, password: str, problems: list[str]):
    """A new page signed in at ``/store/`` as ``email``; console errors and page errors of the
    page's life are appended to ``problems``."""
    page = browser.new_page(viewport=TABLET, locale="pl-PL")
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text} {m.location}"))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/store/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")  # the header's language buttons are submit buttons too
    page.wait_for_url(f"{base}/store/")
    return page
