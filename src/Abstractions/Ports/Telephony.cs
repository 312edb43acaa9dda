using NodaTime;

namespace Crm.Abstractions.Ports;

/// <summary>The direction of a call.</summary>
public enum CallDirection
{
    /// <summary>A client called in.</summary>
    Inbound = 0,
    /// <summary>A user called out.</summary>
    Outbound = 1,
}

/// <summary>What happened to a call.</summary>
public enum CallEventKind
{
    /// <summary>The phone is ringing.</summary>
    Ringing = 0,
    /// <summary>Somebody answered.</summary>
    Answered = 1,
    /// <summary>The call ended (answered or missed).</summary>
    Ended = 2,
}

/// <summary>A call event reported by a telephony adapter.</summary>
/// <param name="CallId">The telephony system's id of the call.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Direction">Inbound or outbound.</param>
/// <param name="ExternalNumber">The client's number as the telephony system gives it (any format).</param>
/// <param name="Extension">The extension or user that answered or called, when known.</param>
/// <param name="At">When it happened.</param>
/// <param name="RecordingReference">Where the recording is, when there is one.</param>
public sealed record CallEvent(
    string CallId,
    CallEventKind Kind,
    CallDirection Direction,
    string ExternalNumber,
    string? Extension,
    Instant At,
    string? RecordingReference = null);

/// <summary>The telephony port: places calls (click-to-call). Call events flow into the kernel's telephony API.</summary>
public interface ITelephonyGateway
{
    /// <summary>Places a call from a user's extension to a number in E.164 form; returns the call id.</summary>
    Task<string> DialAsync(UserId from, string e164Number, CancellationToken cancellationToken = default);
}
