def test_login_page_renders_in_vietnamese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Đăng nhập" in response.get_data(as_text=True)


def test_home_requires_sign_in(client):
    response = client.get("/")
    assert response.status_code == 401
    assert "Vui lòng đăng nhập" in response.get_data(as_text=True)


def test_demo_staff_reach_their_home(client, login):
    login()
    response = client.get("/")
    assert response.status_code == 200
    assert "Xin chào" in response.get_data(as_text=True)
