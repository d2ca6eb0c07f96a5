from tracker.ui.common import plain


def test_user_text_cannot_become_markdown_links_images_or_emphasis():
    assert plain("![x](http://host/i.png) **b** $x$") == r"\!\[x\]\(http://host/i\.png\) \*\*b\*\* \$x\$"


def test_plain_words_are_left_as_they_are():
    assert plain("Natalia Gherman") == "Natalia Gherman"
