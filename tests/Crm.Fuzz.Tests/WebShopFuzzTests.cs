using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Crm.Fuzz.Tests;

/// <summary>
/// R3 over HTTP: website orders as raw JSON through the WebShop sample on a real Kestrel port. Goal: no answer 500,
/// every error answer RFC 7807 problem details with a message, and nothing written on a refusal.
/// </summary>
public sealed class WebShopFuzzTests(ITestOutputHelper output)
{
    private static string Json(string? text) => text is null ? "null" : JsonSerializer.Serialize(text);

    /// <summary>A JSON string literal that may hold escapes System.Text.Json would never write (lone surrogates, NUL).</summary>
    private static string RawJsonString(HostileInput input) => input.Random.Next(6) switch
    {
        0 => "\"\\uDC00\"",
        1 => "\"web\\uD800-1\"",
        2 => "\"a\\u0000b\"",
        3 => "\"\\u202Eevil\"",
        _ => Json(input.Text()),
    };

    private static string Order(HostileInput input, int i, List<string> ids)
    {
        // One order in three is well-formed, so that the accepting path (and the duplicate and idempotent ones) runs too.
        var hostile = input.Chance(67);
        string Str(Func<string> normal) => !hostile ? normal() : input.Random.Next(14) switch
        {
            0 => RawJsonString(input),
            1 => Json(input.Text()),
            2 => input.Pick("null", "1", "true", "[]", "{}", input.JsonNumber()),
            _ => normal(),
        };

        var id = ids.Count > 0 && input.Chance(10) ? Json(ids[input.Random.Next(ids.Count)]) : Str(() => Json("web-" + i));
        var phone = Str(() => Json($"+47 915 {input.Random.Next(100):00} {input.Random.Next(1000):000}"));
        var email = input.Chance(50) ? Str(() => Json($"buyer{input.Random.Next(200)}@shop.no")) : "null";
        var lines = (hostile ? input.Random.Next(12) : 3) switch
        {
            0 => "[]",
            1 => Str(() => "[]"),
            2 => "[" + string.Join(",", Enumerable.Repeat("{\"product\":\"chair\",\"quantity\":1}", input.Random.Next(150, 260))) + "]",
            _ => "[" + string.Join(",", Enumerable.Range(0, input.Random.Next(1, 4)).Select(_ =>
                $"{{\"product\":{Str(() => Json(input.Pick("chair", "chair", "desk", hostile ? "sofa" : "desk")))},\"quantity\":{(!hostile || input.Chance(70) ? input.Random.Next(1, 5).ToString(CultureInfo.InvariantCulture) : input.JsonNumber())}" +
                (hostile && input.Chance(30) ? $",\"discountPercent\":{input.JsonNumber()}" : "") + "}")) + "]",
        };
        var buyer = $"{{\"name\":{Str(() => Json("Nora Buyer"))},\"phone\":{phone},\"email\":{email}" +
            (input.Chance(30) ? $",\"city\":{Str(() => Json("Oslo"))},\"region\":{Str(() => Json("Viken"))},\"isCompany\":{input.Pick("true", "false", "1", "\"yes\"")}" : "") + "}";
        var fields = new List<string> { $"\"externalId\":{id}", $"\"buyer\":{(input.Chance(5) ? Str(() => "null") : buyer)}", $"\"lines\":{lines}" };
        if (input.Chance(20))
        {
            fields.Add($"\"comment\":{Str(() => Json("Please deliver before noon"))}");
        }

        if (input.Chance(10))
        {
            fields.Add(fields[input.Random.Next(fields.Count)].Replace("web-", "dup-", StringComparison.Ordinal)); // a duplicate key
        }

        var json = "{" + string.Join(",", fields) + "}";
        return (hostile ? input.Random.Next(20) : 19) switch
        {
            0 => json[..input.Random.Next(json.Length)], // truncated
            1 => new string('[', 10_000) + new string(']', 10_000), // deep nesting
            2 => "{\"externalId\":" + new string('[', 70) + new string(']', 70) + "}",
            3 => input.Pick("", "null", "[]", "42", "\"order\"", "{}"),
            _ => json,
        };
    }

    [Fact]
    public async Task Website_orders_as_raw_json_over_http()
    {
        var input = new HostileInput(FuzzSettings.Seed(output, "website orders over HTTP"));
        await using var shop = await WebShopHost.StartAsync();
        var tally = new FuzzTally("website orders over HTTP", output);
        var statuses = new SortedDictionary<int, int>();
        var created = 0;
        var ids = new List<string>();
        for (var i = 0; i < FuzzSettings.Inputs; i++)
        {
            var json = Order(input, i, ids);
            ids.Add("web-" + i);
            byte[] body = Encoding.UTF8.GetBytes(json);
            if (input.Chance(3))
            {
                body = [.. body, 0xC3, 0x28, 0xFF]; // invalid UTF-8
            }

            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = input.Chance(97) ? new MediaTypeHeaderValue("application/json") : input.Pick<MediaTypeHeaderValue?>(null, new MediaTypeHeaderValue("text/plain"));
            var head = await shop.HeadAsync();
            using var response = await shop.Client.PostAsync("/orders", content);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var shown = FuzzTally.Cut(json);
            if (status >= 500)
            {
                var moved = await shop.HeadAsync() != head ? " (and the order was written)" : "";
                tally.FailInput($"{status}{moved} for {shown}: {FuzzTally.Cut(text)}", $"{status}{moved}");
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Created)
            {
                created++;
                if (response.Headers.Location is null)
                {
                    tally.Fail($"201 without Location for {shown}", "201 without Location");
                }
            }

            if (status >= 400)
            {
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json" || !text.Contains("\"detail\"", StringComparison.Ordinal))
                {
                    tally.FailInput($"{status} without problem details ({(text.Length == 0 ? "empty body" : response.Content.Headers.ContentType?.MediaType)}) for {shown}: '{FuzzTally.Cut(text)}'", $"{status} without problem details ({(text.Length == 0 ? "empty body" : "no detail")})");
                    continue;
                }

                if (await shop.HeadAsync() != head)
                {
                    tally.FailInput($"{status} but the journal moved for {shown}", $"{status} and the journal moved");
                    continue;
                }
            }

            tally.Count(status is 200 or 201);
        }

        output.WriteLine("answers: " + string.Join(", ", statuses.Select(s => $"{s.Key} × {s.Value}")));
        tally.AssertClean();
        Assert.Equal(created, await shop.CountAsync("order"));
        Assert.Equal(created, await shop.CountAsync("deal"));
    }

    /// <summary>Guards: 1,522 of the fuzzed 400 answers had an empty body; every error answer is problem details carrying the message.</summary>
    [Theory]
    [InlineData("{")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{\"externalId\":\"web-1\",\"buyer\":{\"name\":\"Nora\",\"phone\":\"+47 915 00 001\"},\"lines\":[{\"product\":\"chair\",\"quantity\":1e400}]}")]
    [InlineData("{\"externalId\":\"web-1\",\"buyer\":{\"name\":\"Nora\",\"phone\":\"+47 915 00 001\"},\"lines\":{}}")]
    [InlineData("{\"externalId\":\"web-1\",\"buyer\":{\"name\":\"Nora\",\"phone\":\"not a phone\"},\"lines\":[{\"product\":\"chair\",\"quantity\":1}]}")]
    public async Task Issue17_every_400_answer_is_problem_details_with_the_message(string json)
    {
        await using var shop = await WebShopHost.StartAsync();
        using var response = await shop.Client.PostAsync("/orders", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("detail").GetString()));
    }

    /// <summary>Guards: an external id with a non-ASCII or control character was committed and then answered 500 (the Location header).</summary>
    [Theory]
    [InlineData("ordré-1")]
    [InlineData("web\\u00011")]
    [InlineData("web-\\ud83d\\ude00")]
    public async Task Issue17_an_external_id_that_cannot_go_into_a_header_is_a_400_and_nothing_is_written(string id)
    {
        await using var shop = await WebShopHost.StartAsync();
        var head = await shop.HeadAsync();
        var json = $$"""{"externalId":"{{id}}","buyer":{"name":"Nora","phone":"+47 915 00 001"},"lines":[{"product":"chair","quantity":1}]}""";
        using var response = await shop.Client.PostAsync("/orders", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("externalId", await response.Content.ReadAsStringAsync());
        Assert.Equal(head, await shop.HeadAsync());
    }

    /// <summary>Guards: two concurrent orders from one new buyer: one failed with DuplicateKeyException and the WebShop answered 500 (20 of 20 rounds).</summary>
    [Fact]
    public async Task Issue17_two_concurrent_orders_of_one_new_buyer_both_land_on_one_client_card()
    {
        await using var shop = await WebShopHost.StartAsync();
        for (var round = 0; round < 20; round++)
        {
            var posts = new[] { "a", "b" }.Select(suffix =>
            {
                var json = $$"""{"externalId":"r{{round}}-{{suffix}}","buyer":{"name":"Nora","phone":"+47 915 {{round:00}} 001","email":"nora{{round}}@example.com"},"lines":[{"product":"chair","quantity":1}]}""";
                return shop.Client.PostAsync("/orders", new StringContent(json, Encoding.UTF8, "application/json"));
            }).ToArray();
            var responses = await Task.WhenAll(posts);

            var clients = new List<string>();
            foreach (var response in responses)
            {
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Created, $"round {round}: {(int)response.StatusCode} {text}");
                clients.Add(JsonDocument.Parse(text).RootElement.GetProperty("client").GetString()!);
                response.Dispose();
            }

            Assert.Single(clients.Distinct());
        }
    }
}
