"""Scrapy settings of the aidenum project: polite by default, fail-safe for the catalogue.

Found by ``aidenum crawl`` (``Settings.setmodule``), by ``scrapy`` through ``scrapy.cfg`` and by
Scrapyd through the ``scrapy`` entry point declared in ``pyproject.toml``.
"""
from __future__ import annotations

import os

BOT_NAME = "aidenum"
SPIDER_MODULES = ["aidenum.spiders.spiders"]
NEWSPIDER_MODULE = "aidenum.spiders.spiders"

# -- politeness ----------------------------------------------------------------------------------
# Site operators must be able to tell who crawls them: AIDENUM_CONTACT sets the page (or mailto:)
# that explains the bot and reaches its operator.
CONTACT_URL = os.environ.get("AIDENUM_CONTACT", "https://github.com/aidenum/aidenum")
USER_AGENT = f"aidenum/0.1 (veille des aides pour les collectivites; +{CONTACT_URL})"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5   # ±50 % around the delay (replaces RANDOMIZE_DOWNLOAD_DELAY, deprecated)
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items processed in parallel per response. A scheme page yields one item; Scrapy's default (100)
# starts 100 asyncio workers for every response, which cost more than the parsing itself.
CONCURRENT_ITEMS = 8
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# -- what the web does to us ---------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
# A funding page is a few hundred kB. Anything above 8 MiB is not a scheme page (an archive, a
# runaway page, a trap): the download is cancelled and reported as an HTTP error of the crawl.
# The same bound holds for a compressed body once decompressed (a gzip bomb: a few kB that inflate
# to gigabytes), and is named as such in the report (spiders/limits.py).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Préfecture and région sites redirect two or three times (http -> https, old path -> new path).
REDIRECT_MAX_TIMES = 10

# -- bounds: no crawl runs forever -----------------------------------------------------------------
# Each spider sizes CLOSESPIDER_PAGECOUNT, CLOSESPIDER_TIMEOUT and DEPTH_LIMIT to its source in its
# custom_settings; these defaults bound a spider that forgets to. A crawl stopped by a bound is
# partial: pages read are kept, nothing is closed, the report names the bound.
CLOSESPIDER_PAGECOUNT = 1000
CLOSESPIDER_TIMEOUT = 3600
DEPTH_LIMIT = 5

# -- modern Scrapy, no deprecation warning ------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# -- development cache: ``aidenum crawl --cache`` or AIDENUM_HTTPCACHE=1 ---------------------------
HTTPCACHE_ENABLED = os.environ.get("AIDENUM_HTTPCACHE", "") not in ("", "0", "false", "non")
HTTPCACHE_DIR = "httpcache"  # relative to the project data dir Scrapy picks (.scrapy/)
HTTPCACHE_EXPIRATION_SECS = 24 * 3600
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

# -- aidenum machinery -----------------------------------------------------------------------------
# Where the catalogue lives for the pipelines. Scrapyd jobs get it as ``setting=AIDENUM_HOME=…``.
AIDENUM_HOME = os.environ.get("AIDENUM_HOME", "")

DOWNLOADER_MIDDLEWARES = {
    # below RetryMiddleware (550) and RedirectMiddleware (600): sees only final outcomes
    "aidenum.spiders.middlewares.FailureRecorderMiddleware": 50,
    # the last step before the download handler: a backoff waits right before the request leaves
    "aidenum.spiders.limits.DelayMiddleware": 990,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "aidenum.spiders.limits.ReportedDepthMiddleware": 900,    # where Scrapy's depth middleware sits
    "aidenum.spiders.limits.ErrbackMiddleware": 950,
}
ITEM_PIPELINES = {
    "aidenum.spiders.pipelines.NormalisePipeline": 100,
    "aidenum.spiders.pipelines.ValidatePipeline": 200,
    "aidenum.spiders.pipelines.DeduplicatePipeline": 300,
    "aidenum.spiders.pipelines.StorePipeline": 900,
}
EXTENSIONS = {
    "aidenum.spiders.report.ProgressExtension": 500,
    "aidenum.spiders.limits.LimitsExtension": 500,
}
