/** What the provider's userinfo endpoint answers to this access token: the proof a token works. */
export async function userinfoStatus(issuer: string, accessToken: string): Promise<number> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    userinfo_endpoint: string;
  };
  const response = await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.arrayBuffer();
  return response.status;
}
