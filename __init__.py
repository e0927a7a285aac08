"""aidenum — financer le plan numérique d'une collectivité.

The repository root is the ``aidenum`` package (``pyproject.toml`` maps it): the customer's folders
(``spiders/``, ``matcher/``, ``templates/``, ``data/``…) stay at the top level of the checkout and
install as ``aidenum.spiders``, ``aidenum.matcher``… so that nothing but ``aidenum`` lands in
site-packages.
"""
