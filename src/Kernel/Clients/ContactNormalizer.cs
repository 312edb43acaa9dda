using System.Net.Mail;
using Crm.Abstractions;
using Crm.Kernel.Validation;
using PhoneNumbers;

namespace Crm.Kernel.Clients;

/// <summary>Normalizes phones to E.164 (libphonenumber) and e-mails to trimmed lower case, so duplicates match.</summary>
internal sealed class ContactNormalizer
{
    private readonly PhoneNumberUtil _phones = PhoneNumberUtil.GetInstance();

    /// <summary>Creates a normalizer that reads numbers without a country code as numbers of <paramref name="defaultRegion"/>.</summary>
    /// <param name="defaultRegion">ISO 3166 two-letter region, e.g. <c>NO</c>.</param>
    public ContactNormalizer(string defaultRegion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultRegion);
        DefaultRegion = defaultRegion;
    }

    /// <summary>The region for numbers written without a country code.</summary>
    public string DefaultRegion { get; }

    /// <summary>Returns the number in E.164 form, e.g. <c>+4722334455</c>.</summary>
    /// <param name="raw">The number in any national or international style.</param>
    /// <param name="field">The field name used in the error.</param>
    /// <exception cref="CrmValidationException">It is not a valid phone number.</exception>
    public string NormalizePhone(string raw, string field = "phone")
    {
        if (TryNormalizePhone(raw, out var e164))
        {
            return e164;
        }

        if (InputRules.Problem(raw, TextLimits.Phone, required: true, singleLine: true) is { } problem)
        {
            throw new CrmValidationException(field, problem);
        }

        throw new CrmValidationException(field, $"'{InputRules.Quote(raw)}' is not a valid phone number (read with default region {DefaultRegion}); write it with its country code, e.g. +47 22 33 44 55.");
    }

    /// <summary>Tries to normalize a phone number to E.164.</summary>
    public bool TryNormalizePhone(string? raw, out string e164)
    {
        e164 = string.Empty;
        if (InputRules.Problem(raw, TextLimits.Phone, required: true, singleLine: true) is not null)
        {
            return false;
        }

        try
        {
            // "Possible" (right length for the country), not "valid": numbering plans change faster than metadata,
            // and a CRM must take the numbers its clients really have.
            var number = _phones.Parse(raw, DefaultRegion);
            if (!_phones.IsPossibleNumber(number))
            {
                return false;
            }

            e164 = _phones.Format(number, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>Returns the e-mail trimmed and in lower case.</summary>
    /// <exception cref="CrmValidationException">It is not an e-mail address.</exception>
    public string NormalizeEmail(string raw, string field = "email")
    {
        if (InputRules.Problem(raw, TextLimits.Email, required: true, singleLine: true) is { } problem)
        {
            throw new CrmValidationException(field, problem);
        }

        var trimmed = raw?.Trim() ?? string.Empty;
        if (trimmed.Length is 0 or > 254 || !MailAddress.TryCreate(trimmed, out var address) || address.Address != trimmed)
        {
            throw new CrmValidationException(field, $"'{InputRules.Quote(raw)}' is not an e-mail address like name@example.com.");
        }

        return trimmed.ToLowerInvariant();
    }
}
