"""/api/posts: importing posts published elsewhere, listing and reading them."""

from contentflow.security.service import create_key

POSTS = [
    {
        "platform": "youtube",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "lang": "en",
        "hook_id": "h1",
    },
    {"platform": "reddit", "url": "https://www.reddit.com/r/Cooking/comments/abc123/my_kettle/"},
    {"platform": "pinterest", "url": "https://www.pinterest.com/pin/987654321/", "title": "Kettle"},
    {
        "platform": "instagram",
        "url": "https://www.instagram.com/reel/C9xYzAbCdE1/",
        "external_id": "17895695668004550",
    },
    {"platform": "tiktok", "url": "https://www.tiktok.com/@cook/video/7312345678901234567"},
]


def test_import_parses_the_five_platforms_and_finds_repeats(api, make_link):
    code = make_link().code
    body = {"posts": [{**p, "link_code": code} for p in POSTS]}
    status, _, result = api("POST", "/api/posts/import", body=body)
    assert status == 201, result
    assert result["created"] == 5
    assert [i["external_id"] for i in result["items"]] == [
        "dQw4w9WgXcQ",
        "t3_abc123",
        "987654321",
        "17895695668004550",
        "7312345678901234567",
    ]
    status, _, again = api("POST", "/api/posts/import", body={"posts": [POSTS[0], POSTS[1]]})
    assert status == 201 and again["created"] == 0
    assert [i["post_id"] for i in again["items"]] == [i["post_id"] for i in result["items"][:2]]
    status, _, page = api("GET", "/api/posts")
    assert status == 200 and len(page["items"]) == 5
    insta = next(p for p in page["items"] if p["platform"] == "instagram")
    assert (insta["shortcode"], insta["status"], insta["metrics_source"]) == (
        "C9xYzAbCdE1",
        "published",
        "none",
    )


def test_bad_entries_get_a_422_that_names_them(api):
    body = {
        "posts": [
            POSTS[0],
            {"platform": "youtube", "url": "https://vimeo.com/1234"},
            {"platform": "tiktok"},
            {"platform": "reddit", "url": "https://redd.it/abc", "external_id": "t3_zzz"},
            {"platform": "myspace", "url": "https://myspace.com/x"},
        ]
    }
    status, _, answer = api("POST", "/api/posts/import", body=body)
    assert status == 422
    fields = {d["field"]: d["problem"] for d in answer["details"]}
    assert "not a YouTube video URL" in fields["posts.1"]
    assert "give the post's url or its external_id" in fields["posts.2"]
    assert "url is post t3_abc, external_id says t3_zzz" in fields["posts.3"]
    assert "posts.4.platform" in fields
    assert "posts.0" not in " ".join(fields)
    status, _, page = api("GET", "/api/posts")
    assert page["items"] == []  # nothing of a refused import is stored


def test_unknown_link_codes_are_named_and_nothing_is_stored(api, make_link):
    code = make_link().code
    body = {"posts": [{**POSTS[0], "link_code": code}, {**POSTS[1], "link_code": "nope123"}]}
    status, _, answer = api("POST", "/api/posts/import", body=body)
    assert status == 422
    assert answer["details"] == [{"field": "posts.1.link_code", "problem": "no link with code 'nope123'"}]
    assert api("GET", "/api/posts")[2]["items"] == []


def test_list_filters_and_pages_newest_first(api):
    entries = [
        {"platform": "reddit", "external_id": f"t3_p{n}", "published_at": f"2026-11-{10 + n:02d}T12:00:00Z"}
        for n in range(5)
    ] + [{"platform": "youtube", "external_id": "dQw4w9WgXcQ", "published_at": "2026-11-12T13:00:00+01:00"}]
    assert api("POST", "/api/posts/import", body={"posts": entries})[0] == 201
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, _, page = api("GET", "/api/posts", query=query)
        assert status == 200
        seen += [(p["platform"], p["published_at"]) for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [s[1] for s in seen] == sorted((s[1] for s in seen), reverse=True)
    assert len(seen) == 6
    status, _, reddit = api(
        "GET", "/api/posts", query={"platform": "reddit", "since": "2026-11-12T00:00:00Z"}
    )
    assert [p["external_id"] for p in reddit["items"]] == ["t3_p4", "t3_p3", "t3_p2"]
    assert api("GET", "/api/posts", query={"status": "removed"})[2]["items"] == []
    assert api("GET", "/api/posts", query={"cursor": "not-a-cursor!"})[0] == 422


def test_one_post_with_its_history_and_errors(api):
    _, _, result = api("POST", "/api/posts/import", body={"posts": [POSTS[0]]})
    post_id = result["items"][0]["post_id"]
    status, _, post = api(
        "GET", f"/api/posts/{post_id}", "/api/posts/{post_id}", path_parameters={"post_id": post_id}
    )
    assert status == 200
    assert (post["external_id"], post["lang"], post["hook_id"], post["history"]) == (
        "dQw4w9WgXcQ",
        "en",
        "h1",
        [],
    )
    missing = "01JAAAAAAAAAAAAAAAAAAAAAAA"
    status, _, answer = api(
        "GET", f"/api/posts/{missing}", "/api/posts/{post_id}", path_parameters={"post_id": missing}
    )
    assert (status, answer["error"]) == (404, f"no post with id '{missing}'")


def test_scopes(api, aws):
    reader, _ = create_key("reader", ("posts:read",))
    assert api("GET", "/api/posts", key=reader)[0] == 200
    assert api("GET", "/api/platforms", key=reader)[0] == 200
    assert api("POST", "/api/posts/import", key=reader, body={"posts": [POSTS[0]]})[0] == 403
    links_only, _ = create_key("links", ("links:read",))
    assert api("GET", "/api/posts", key=links_only)[0] == 403


def test_a_post_repeated_in_one_request_is_one_post(api):
    body = {"posts": [POSTS[0], POSTS[1], {**POSTS[0], "title": "again"}]}
    status, _, result = api("POST", "/api/posts/import", body=body)
    assert status == 201 and result["created"] == 2
    assert result["items"][0]["post_id"] == result["items"][2]["post_id"]
    assert [i["created"] for i in result["items"]] == [True, True, False]
    assert len(api("GET", "/api/posts")[2]["items"]) == 2
