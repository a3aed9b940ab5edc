def test_login_page_renders_in_vietnamese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Đăng nhập" in response.get_data(as_text=True)


def test_each_role_reaches_its_home(client, login, make_staff):
    from portal.core.roles import Role

    for role in Role:
        c = client.application.test_client()
        login(role, region=2, on=c)
        response = c.get("/")
        assert response.status_code == 200
        assert "Xin chào" in response.get_data(as_text=True)
